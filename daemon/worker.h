#ifndef MYPOOL_WORKER_H
#define MYPOOL_WORKER_H
#endif
