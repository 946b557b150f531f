#ifndef TALLY_CBUILDINFO_H
#define TALLY_CBUILDINFO_H

/// The git revision tally was built from (set by Package.swift from the checkout), or "unknown".
const char *tally_build_revision(void);

#endif
