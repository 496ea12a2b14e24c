/* error: the texts of libmypool's error codes. */
#include "autoconfig.h"

#include "internal.h"

static const char *error_text(enum mypool_error e)
{
	/* No default: -Wswitch reports a code added without a text. */
	switch (e) {
	case MYPOOL_OK:
		return "success";
	case MYPOOL_ERR_NOMEM:
		return "out of memory";
	case MYPOOL_ERR_INVAL:
		return "invalid argument";
	case MYPOOL_ERR_CONNECT:
		return "could not connect";
	case MYPOOL_ERR_NOT_CONNECTED:
		return "not connected";
	case MYPOOL_ERR_BUSY:
		return "a cursor on this connection has unread rows";
	case MYPOOL_ERR_SERVER:
		return "server error";
	case MYPOOL_ERR_LOST:
		return "connection lost";
	case MYPOOL_ERR_CLIENT:
		return "client library error";
	case MYPOOL_ERR_NO_COLUMN:
		return "no such column";
	case MYPOOL_ERR_NULL:
		return "value is NULL";
	case MYPOOL_ERR_TYPE:
		return "value cannot be converted to that type";
	case MYPOOL_ERR_RANGE:
		return "value out of range for that type";
	}
	return NULL;
}

const char *mypool_strerror(int error)
{
	const char *s = error_text((enum mypool_error)error);

	return s != NULL ? s : "unknown error";
}
