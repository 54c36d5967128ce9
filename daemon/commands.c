/* commands.c: under construction by its owner */
