/* config.c: under construction by its owner */
