ember multiboot module: a small file whose size and CRC-32 the guest prints.
The CRC is zlib's: python3 -c 'import zlib;print(hex(zlib.crc32(open("tests/guests/multiboot.mod","rb").read())))'
