# The few commands you need. Everything goes through the Maven Wrapper; no global Maven needed.
.PHONY: build test e2e golden lint format crds corpus run conformance

build:            ## compile and package every module, no tests
	./mvnw -B -DskipTests install

test:             ## every test: unit, integration (real Kafka) and end-to-end (real Envoy)
	./mvnw -B install

e2e:              ## only the end-to-end tests against the real envoy binary
	EG4J_REQUIRE_ENVOY=1 ./mvnw -B install -Dtest='*E2E' -Dsurefire.failIfNoSpecifiedTests=false

golden:           ## regenerate golden files; review the diff before committing
	./mvnw -B install -Dgolden.update=true -Dtest='*Golden*' -Dsurefire.failIfNoSpecifiedTests=false

lint:             ## formatting and dependency convergence
	./mvnw -B spotless:check enforcer:enforce

format:           ## apply google-java-format
	./mvnw -B spotless:apply

crds:             ## regenerate the Java API model from third_party/crds
	./mvnw -B -pl shared-model install -DskipTests

corpus:           ## score the status corpus
	../shared/conformance/run-status-corpus --cmd ./eg4j --jobs 2

run:              ## the standalone quickstart
	./eg4j run examples/quickstart --demo-echo

conformance:      ## the upstream Gateway API conformance suite against eg4j (conformance/suite/run.sh)
	conformance/suite/run.sh
