#ifndef MYPOOL_CORO_H
#define MYPOOL_CORO_H
#endif
