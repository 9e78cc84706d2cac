// VCF texts and files for the genomics tests, written with HTSlib into a per-process temporary
// folder (removed at exit).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pancaim/genomics/testing/vcf_writer.h"

namespace pancaim::genomics::testdata {

const std::filesystem::path& TempDir();

// A VCF header: fileformat, FILTER q10, INFO AF, FORMAT GT/AD/AF/DP, the contigs ("chr12" or
// "12" style per `chr_prefix`: 12, 17, 9) and the #CHROM line with `samples`.
std::string Header(bool chr_prefix, const std::vector<std::string>& samples);

// Two-sample (TUMOR_A, TUMOR_B) VCF with "chr" contigs:
//  chr12:25245350 C>T (KRAS)   PASS  A 0/1 AD 70,30   B 0/0 AD 50,0
//  chr12:25245400 G>A (KRAS)   q10   A 0/1 AD 10,90   (filtered: must not count)
//  chr17:7674220  C>T (TP53)   PASS  A 0/0 AD 40,0    B 0/1 AD 20,20
//  chr17:7675000  A><NON_REF>  PASS  A 0/1            (gVCF block: never a variant)
//  chr9:21970000  G>C (CDKN2A) .     A 0/1 AD 5,5     (missing FILTER)
std::string TwoSampleVcf(bool chr_prefix);

// Writes `text` as `name` (bgzipped, indexed as asked) in TempDir() and returns the path.
std::filesystem::path Write(const std::string& name, const std::string& text,
                            testing::IndexKind index = testing::IndexKind::kTbi);

}  // namespace pancaim::genomics::testdata
