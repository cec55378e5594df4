/* main.c - placeholder until the CLI lands (being written). */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "ember: under construction\n");
	return 2;
}
