"""bzimage.py: a minimal bzImage for the CLI tests: the boot protocol header pvisor checks and
a few bytes of 64-bit code at the 64-bit entry, so that no Linux boot is needed."""
import struct

SETUP_SECTS = 4
ENTRY64 = (SETUP_SECTS + 1) * 512 + 0x200


def write_bzimage(path, code):
    img = bytearray(65536)
    img[0x1F1] = SETUP_SECTS
    img[0x201] = 0x66
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, 0x20F)      # boot protocol 2.15
    struct.pack_into("<I", img, 0x22C, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into("<H", img, 0x236, 1)           # XLF_KERNEL_64
    struct.pack_into("<I", img, 0x238, 2047)        # cmdline_size
    struct.pack_into("<I", img, 0x260, 2 << 20)     # init_size
    img[ENTRY64:ENTRY64 + len(code)] = code
    with open(path, "wb") as f:
        f.write(img)
