#ifndef TALLY_CORE_USET_H
#define TALLY_CORE_USET_H
#endif
