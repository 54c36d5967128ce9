/* worker.c: under construction by its owner */
