#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/options.hpp"

using namespace upres;

TEST_CASE("options have defaults, types, bounds and choices") {
    Options o;
    CHECK(o.get_int("threads") == 0);
    CHECK(o.get_double("cubic_a") == doctest::Approx(-0.5));
    CHECK(o.get_string("edge") == "clamp");
    o.set_int("threads", 2);
    CHECK(o.get_int("threads") == 2);
    CHECK_THROWS_AS(o.set_int("threads", -1), Error);
    CHECK_THROWS_AS(o.set_int("no_such_option", 1), Error);
    CHECK_THROWS_AS(o.set_string("threads", "2"), Error);
    CHECK_THROWS_AS(o.set_string("edge", "mirror"), Error);
    o.set_string("edge", "wrap");
    CHECK(o.get_string("edge") == "wrap");
    o.set_int("cubic_a", -1);  // integers are accepted for real options
    CHECK(o.get_double("cubic_a") == -1.0);
    CHECK_THROWS_AS(o.set_double("cubic_a", 0.0 / 0.0), Error);
    o.set_from_text("tile", "256");
    CHECK(o.get_int("tile") == 256);
    CHECK_THROWS_AS(o.set_from_text("tile", "25x"), Error);
}

TEST_CASE("every option's default lies inside its bounds") {
    for (const OptionSpec& s : option_table()) {
        CAPTURE(s.name);
        if (s.type != OptionType::text) {
            CHECK(s.default_number >= s.min);
            CHECK(s.default_number <= s.max);
        }
        CHECK(s.help != nullptr);
    }
}
