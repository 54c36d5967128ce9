/* ports.c: under construction by its owner */
