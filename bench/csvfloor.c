/*
 * csvfloor: the libcsv parse floor for make bench.  Reads a CSV file as
 * loy does (256 KiB reads, libcsv in strict mode, a callback for each
 * field and each record) and does nothing else: no copies, no UTF-8 check,
 * no checksum, no ledger.  What no CSV importer built on libcsv can beat.
 *
 *	cc -O2 -o csvfloor bench/csvfloor.c -lcsv && ./csvfloor FILE
 */
#include <csv.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long fields, records;

static void
field(void *s, size_t n, void *data)
{
	(void)s;
	(void)n;
	(void)data;
	fields++;
}

static void
record(int c, void *data)
{
	(void)c;
	(void)data;
	records++;
}

int
main(int argc, char **argv)
{
	static char buf[256 * 1024];
	struct csv_parser p;
	ssize_t n;
	int fd;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0) {
		fprintf(stderr, "usage: csvfloor file\n");
		return 64;
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return 71;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (csv_parse(&p, buf, n, field, record, NULL) != (size_t)n) {
			fprintf(stderr, "csvfloor: %s\n", csv_strerror(csv_error(&p)));
			return 65;
		}
	csv_fini(&p, field, record, NULL);
	csv_free(&p);
	printf("%lu records, %lu fields\n", records, fields);
	return n < 0 ? 74 : 0;
}
