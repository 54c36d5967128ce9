/* server.c: under construction by its owner; see server.h */
