// Package sqlstore holds what store/sqlite and store/postgres share: the
// store.Store methods that only route to a table (reservations, settings
// and cached notes), the names of those tables, and the text of the users
// statements, with each database's differences passed in as data. The
// databases' own logic (reserve in one statement or two, clocks, error
// classification) stays in their packages.
package sqlstore
