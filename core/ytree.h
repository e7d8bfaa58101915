#ifndef TALLY_CORE_YTREE_H
#define TALLY_CORE_YTREE_H
#endif
