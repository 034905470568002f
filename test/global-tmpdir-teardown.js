module.exports = require("./global-tmpdir").teardown;
