/* blkif_c.c: pv/blkif.h compiled alone as C11 (its static asserts run at compile time). */
#include <pv/blkif.h>

unsigned blkif_c_request_size(void);
unsigned blkif_c_request_size(void) { return (unsigned)sizeof(union blkif_sring_entry); }
