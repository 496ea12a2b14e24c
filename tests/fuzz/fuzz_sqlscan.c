/* fuzz_sqlscan: the statement text a client sends, as the lexical scanner and the command
 * splitter see it.
 *
 * sqlscan() decides what pins a session to its server connection; sqlscan_words() splits the
 * admin console's commands and KILL. Input: one byte whose low bits give the splitter's word
 * limit (0..7), then the statement. The statement is copied to a block of its exact size (no NUL
 * after it), and the word array to one of exactly max words, so ASan sees a write past either. */
#include "autoconfig.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "sqlscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int max = data[0] & 7;
	size_t len = size - 1;
	char *sql = malloc(len ? len : 1);
	char (*words)[32] = malloc(max ? (size_t)max * sizeof(*words) : 1);

	if (!sql || !words)
		abort();
	if (len)
		memcpy(sql, data + 1, len);

	fuzz_sink += sqlscan(sql, len);

	int n = sqlscan_words(sql, len, words, max);
	if (n < -1 || n > max)
		abort();
	/* A word is always NUL-terminated, and never empty unless the text has a NUL in it (a word
	 * "\0x" reads as ""). */
	bool has_nul = len && memchr(sql, 0, len);
	for (int i = 0; i < n; i++) {
		size_t k = strnlen(words[i], sizeof(words[i]));
		if (k == sizeof(words[i]) || (k == 0 && !has_nul))
			abort();
		for (size_t j = 0; j < k; j++)
			if (isspace((unsigned char)words[i][j]) || words[i][j] == ';')
				abort();
	}
	free(words);
	free(sql);
	return 0;
}
