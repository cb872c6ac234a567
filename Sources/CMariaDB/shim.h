#ifndef CMARIADB_SHIM_H
#define CMARIADB_SHIM_H
#include <stddef.h>
#include <mysql.h>

/// `mysql_library_init` is a macro; Swift cannot call it.
static inline int cmariadb_library_init(void) {
    return mysql_library_init(0, NULL, NULL);
}

/// `mysql_optionsv` is variadic; these fix its argument types.
static inline int cmariadb_set_uint(MYSQL *db, enum mysql_option option, unsigned int value) {
    return mysql_optionsv(db, option, (void *)&value);
}

static inline int cmariadb_set_bool(MYSQL *db, enum mysql_option option, my_bool value) {
    return mysql_optionsv(db, option, (void *)&value);
}

static inline int cmariadb_set_string(MYSQL *db, enum mysql_option option, const char *value) {
    return mysql_optionsv(db, option, (void *)value);
}

static inline my_bool cmariadb_stmt_set_bool(MYSQL_STMT *stmt, enum enum_stmt_attr_type attr, my_bool value) {
    return mysql_stmt_attr_set(stmt, attr, &value);
}
#endif
