// api_client.hpp: the CLI's side of the API socket; starts the service when it is absent.
#pragma once

#include "json.hpp"
#include "run_dir.hpp"
#include "unique_fd.hpp"

#include <functional>
#include <optional>
#include <string>

namespace pvisor::toolstack {

class ApiClient {
  public:
    // Connects to the service, starting `pvisor daemon` in the background first if nobody
    // listens (said on stderr). nullopt and `why` if it cannot.
    [[nodiscard]] static std::optional<ApiClient> connect(const RunDir& dir, std::string& why,
                                                          bool start_service = true);
    // Sends one request; progress lines go to `on_progress`; returns the reply (or nullopt
    // and `why` if the service went away).
    [[nodiscard]] std::optional<Json> call(Json request, std::string& why,
                                           const std::function<void(const std::string&)>&
                                               on_progress = {});

  private:
    explicit ApiClient(UniqueFd fd) : m_fd(std::move(fd)) {}
    UniqueFd m_fd;
    std::string m_in;
    std::uint64_t m_next_id = 1;
};

} // namespace pvisor::toolstack
