# cmake -D EXE=path/to/doctest-executable -D OUT=cases.cmake -P doctest_list_cases.cmake
# Run after each build of a doctest executable (upres_doctest_tests in tests/CMakeLists.txt): writes
# one line `upres_doctest_case([==[test case name]==])` per test case, which ctest reads through the
# executable's include file.
execute_process(COMMAND ${EXE} --list-test-cases --no-version=true
                OUTPUT_VARIABLE listing ERROR_VARIABLE errors RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} --list-test-cases failed (${rc}):\n${listing}${errors}")
endif()
if(listing MATCHES "]==]")
  message(FATAL_ERROR "${EXE}: a test case name holds ']==]', which this list cannot carry")
endif()

# Line by line without CMake lists: names hold ';' (and a lone square bracket would join items).
set(content "# Written by tests/doctest_list_cases.cmake from ${EXE} --list-test-cases\n")
set(count 0)
string(APPEND listing "\n")
while(NOT listing STREQUAL "")
  string(FIND "${listing}" "\n" end)
  string(SUBSTRING "${listing}" 0 ${end} line)
  math(EXPR next "${end} + 1")
  string(SUBSTRING "${listing}" ${next} -1 listing)
  if(line STREQUAL "" OR line MATCHES "^=+$" OR line MATCHES "^\\[doctest\\] ")
    continue()
  endif()
  string(APPEND content "upres_doctest_case([==[${line}]==])\n")
  math(EXPR count "${count} + 1")
endwhile()
if(count EQUAL 0)
  message(FATAL_ERROR "${EXE} lists no test cases:\n${listing}")
endif()

# Rewritten only when the list changes; through a temporary file, so ctest never reads half a list.
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}.tmp" "${content}")
  file(RENAME "${OUT}.tmp" "${OUT}")
endif()
