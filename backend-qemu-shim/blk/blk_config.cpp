// blk_config.cpp: the vbd configuration nodes, each checked with one message per fault.
#include "blk_config.hpp"

#include "config_nodes.hpp"
#include "device_keys.hpp"

#include <pv/blkif.h>

namespace pvisor::backend {

Result<BlkDiskConfig> read_blk_config(const KeyReader& back, std::string& why) {
    BlkDiskConfig cfg;
    const auto params = back("params");
    if (!params)
        return refuse_node(why, "params: missing");
    if (params->empty())
        return refuse_node(why, "params: empty");
    cfg.path = *params;
    const auto mode = back("mode");
    if (!mode)
        return refuse_node(why, "mode: missing");
    if (*mode != "r" && *mode != "w")
        return refuse_node(why, "mode: " + quote_node(*mode) + " is not r or w");
    cfg.read_only = *mode == "r";
    PV_TRY_ASSIGN(queues,
                  read_count_node(back, "queues", PV_BLKIF_MAX_QUEUES, kBlkDefaultQueues, why));
    cfg.queues = queues;
    if (const auto direct = back("direct-io")) {
        if (*direct != "0" && *direct != "1")
            return refuse_node(why, "direct-io: " + quote_node(*direct) + " is not 0 or 1");
        cfg.direct = *direct == "1";
    }
    return cfg;
}

} // namespace pvisor::backend
