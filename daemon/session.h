#ifndef MYPOOL_SESSION_H
#define MYPOOL_SESSION_H
#endif
