/* sdp.c: under construction by its owner */
