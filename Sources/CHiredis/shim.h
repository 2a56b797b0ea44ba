#ifndef OFFLOAD_CHIREDIS_SHIM_H
#define OFFLOAD_CHIREDIS_SHIM_H

// hiredis's reply parser and command encoder; Offload does its own socket I/O on SwiftNIO,
// so none of hiredis's blocking connection API is used.
#include <hiredis/hiredis.h>
#include <hiredis/read.h>

// The reader's error text lives in a fixed char array, which Swift imports as a tuple.
static inline const char *offload_reader_errstr(const redisReader *reader) {
    return reader->errstr;
}

// hiredis keeps a consumed buffer around up to `maxbuf` bytes; 0 means "never shrink".
// Large replies (10 MB bulk strings) should not pin memory on an idle connection.
static inline void offload_reader_set_maxbuf(redisReader *reader, size_t maxbuf) {
    reader->maxbuf = maxbuf;
}

#endif
