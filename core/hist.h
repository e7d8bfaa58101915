#ifndef TALLY_CORE_HIST_H
#define TALLY_CORE_HIST_H
#endif
