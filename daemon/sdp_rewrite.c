/* sdp_rewrite.c: under construction by its owner */
