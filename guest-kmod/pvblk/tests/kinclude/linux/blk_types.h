/* blk_types.h: stands in for the kernel header in pvblk's userspace tests (shadow.c only). */
#ifndef PVBLK_TEST_LINUX_BLK_TYPES_H
#define PVBLK_TEST_LINUX_BLK_TYPES_H
/* What the kernel's header brings with it (<linux/types.h>'s kernel names). */
#include <stdbool.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int16_t s16;

/* The kernel's values (include/linux/blk_types.h, 6.1). */
typedef u8 blk_status_t;
#define BLK_STS_OK 0
#define BLK_STS_NOTSUPP 1
#define BLK_STS_IOERR 10
#endif
