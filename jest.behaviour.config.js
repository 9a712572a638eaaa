/**
 * The behaviour project (`npm run test:behaviour`, run by .ci/run after `npm test`): the mutation
 * test of the equivalence comparison and the generated-spec property with many cases. Its own
 * project because together they take minutes, not seconds.
 */
const base = require("./jest.config.js");

module.exports = {
  ...base,
  roots: ["<rootDir>/__tests__/behaviour-ci"],
  testPathIgnorePatterns: ["/node_modules/"],
  // The mutation test keeps its own synthesizing child process busy; one worker each.
  maxWorkers: 2,
  testTimeout: 600000,
};
