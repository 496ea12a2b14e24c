#ifndef MYPOOL_BACKEND_H
#define MYPOOL_BACKEND_H
#endif
