/* call.c: under construction by its owner */
