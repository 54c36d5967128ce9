/* arena.c: under construction by its owner; see arena.h */
