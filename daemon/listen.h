#ifndef MYPOOL_LISTEN_H
#define MYPOOL_LISTEN_H
#endif
