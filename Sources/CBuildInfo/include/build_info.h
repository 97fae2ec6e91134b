// What the package manifest knew when it built fsexport, for `fsexport --version`: Swift cannot
// take a value from the command line (-D names a condition only), C can.
#ifndef FSEXPORT_BUILD_INFO_H
#define FSEXPORT_BUILD_INFO_H

/// The git commit fsexport was built from, with `-dirty` when the tree had uncommitted changes,
/// or `unknown` outside a git checkout.
const char *fsx_build_commit(void);

#endif
