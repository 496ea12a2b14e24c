#ifndef MYPOOL_IO_H
#define MYPOOL_IO_H
#endif
