#ifndef MYPOOL_POOL_H
#define MYPOOL_POOL_H
#endif
