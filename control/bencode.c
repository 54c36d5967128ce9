/* bencode.c: under construction by its owner; see bencode.h */
