/* ngdict.c: under construction by its owner; see ngdict.h */
