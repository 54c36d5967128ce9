/* ngjson.c: under construction by its owner; see ngjson.h */
