/* fuzz_config: the configuration file, as config_load_string() parses and validates it.
 *
 * The input is the file's text (cut at its first NUL, as a C string would be). Errors go to
 * /dev/null, opened once. A snapshot that loads is freed again (LeakSanitizer checks both
 * paths), and every key of the table must read back with config_value(). */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char *text = malloc(size + 1);

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';

	int rc = config_load_string(text, "fuzz.ini", devnull, &c);
	if (rc < 0 || (rc == 0) != (c != NULL))
		abort();
	if (c) {
		const struct config_key_info *keys;
		size_t nk = config_keys(&keys);
		char value[512];

		for (size_t i = 0; i < nk; i++)
			(void)config_value(c, keys[i].section, keys[i].name, value, sizeof(value));
		for (size_t i = 0; i < c->n_users; i++) {
			const struct config_user *u = c->users[i].name ? &c->users[i] : NULL;
			if (!u || config_find_user(c, u->name, strlen(u->name)) != u)
				abort(); /* every user is found by its name */
		}
		config_free(c);
	}
	free(text);
	return 0;
}
