/* mypoold: everything lives in the daemon library, so the tests link the real code. */
#include "autoconfig.h"

#include "supervisor.h"

int main(int argc, char **argv)
{
	return mypoold_main(argc, argv);
}
