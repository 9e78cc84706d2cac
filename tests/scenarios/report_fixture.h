// A fixed results document for the report tests: three sites, ten rounds, survival curves, a
// fault event and a strategy comparison, with numbers easy to find in the rendered output.
#pragma once

#include "pancaim/scenarios/run_results.h"

namespace pancaim::scenarios::testing {

inline RunResults FixedResults() {
  RunResults r;
  r.scenario = "pdac-3-hospitals";
  r.task = "survival";
  r.metric = "c_index";
  r.strategy = "fedavg";
  r.started_utc = "2026-11-28T09:00:00Z";
  for (int i = 1; i <= 10; ++i) {
    r.rounds.push_back({i, 0.55 + 0.01 * i, 1.0 / i, 3, 3, 2.0 + 0.1 * i});
  }
  r.rounds[4].metric.reset();  // a round without evaluation
  r.sites = {{"academic-north", 56, 12, 12, 44, 30, {78, 62, 72, 68}, 0.6123, 0.6543},
             {"community-south", 28, 6, 6, 12, 9, {37, 18, 26, 20}, 0.5512, 0.6401},
             {"referral-east", 35, 7, 8, 22, 15, {47, 33, 40, 35}, std::nullopt, 0.6499}};
  r.baselines = {0.5817, 0.6789};
  SurvivalResult s;
  s.threshold = 0.42;
  s.low_count = 13;
  s.high_count = 13;
  s.p_value = 0.0123;
  s.chi_square = 6.27;
  s.low = {{0, 5, 12, 20}, {1, 0.92, 0.85, 0.7}};
  s.high = {{0, 3, 8, 15}, {1, 0.75, 0.5, 0.2}};
  r.survival = s;
  r.events = {{12.5, 4, "site_killed", "community-south <killed> & restarted"},
              {30.0, 6, "coordinator_killed", "resumed from checkpoint of round 5"}};
  r.strategies = {{"fedavg", 0.51}, {"median", 0.6432}, {"trimmed_mean", 0.6411}};
  return r;
}

}  // namespace pancaim::scenarios::testing
