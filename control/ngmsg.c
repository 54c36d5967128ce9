/* ngmsg.c: under construction by its owner; see ngmsg.h */
