# ploke-sim in a container (docs/gateway.md, "Deployment"): Debian 12, built with the project's
# own install script, the runtime image holds only the ploke-sim Debian package
# (cpack, packaging/README.md) and the shared libraries it depends on.
#   docker build -t ploke-sim .
#   docker run --rm -p 127.0.0.1:4000:4000 ploke-sim                  # gateway over simulated providers
#   docker run --rm -p 127.0.0.1:4000:4000 -v $PWD/config.toml:/etc/ploke-sim/config.toml:ro \
#     -e PLOKE_GATEWAY_MASTER_KEY -e OPENAI_API_KEY ploke-sim gateway --config /etc/ploke-sim/config.toml --host 0.0.0.0 --port 4000
# scripts/docker-test.sh builds and checks it where docker runs.
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh --run \
 && apt-get install -y -qq --no-install-recommends dpkg-dev file \
 && cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON \
      -DPLOKE_BUILD_TESTS=OFF -DPLOKE_BUILD_BENCH=OFF \
 && cmake --build /build --target ploke-sim -j"$(nproc)" \
 && cd /build && cpack -G DEB -D CPACK_COMPONENTS_ALL=ploke_cli

FROM debian:12-slim
COPY --from=build /build/ploke-sim_*.deb /tmp/
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends /tmp/ploke-sim_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/ploke-sim_*.deb \
 && useradd --system --create-home --home-dir /var/lib/ploke-sim ploke-sim
USER ploke-sim
WORKDIR /var/lib/ploke-sim
EXPOSE 4000
ENTRYPOINT ["ploke-sim"]
# The default: the gateway over two simulated providers, reachable from outside the container.
# Only simulators behind it, so client keys are off; with real providers use --config and
# PLOKE_GATEWAY_MASTER_KEY (auth is on for a non-loopback --host).
CMD ["gateway", "--sim", "--host", "0.0.0.0", "--port", "4000", "--auth", "off"]
