/* ngrequest.c: under construction by its owner; see ngrequest.h */
