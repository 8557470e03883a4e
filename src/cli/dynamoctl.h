/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The parts of dynamoctl that its source files share. */
#pragma once

#include <gio/gio.h>

#include "dr-engine.h"

G_BEGIN_DECLS

/* Exit statuses. `dynamoctl --help` lists them; scripts depend on them, so never renumber. */
typedef enum
{
  DR_CTL_EXIT_OK = 0,
  DR_CTL_EXIT_FAILED = 1,        /* a run failed or was cancelled, or a cluster test failed */
  DR_CTL_EXIT_USAGE = 2,         /* unknown command or option, missing or invalid argument */
  DR_CTL_EXIT_REFUSED = 3,       /* a gate refused; every reason is printed */
  DR_CTL_EXIT_NOT_ALLOWED = 4,   /* the person lacks the role */
  DR_CTL_EXIT_NOT_FOUND = 5,
  DR_CTL_EXIT_KEYRING = 6,       /* the keyring is locked or missing */
  DR_CTL_EXIT_STORE = 7,
  DR_CTL_EXIT_WORKSPACE = 8,
  DR_CTL_EXIT_EXISTS = 9,        /* already done, such as signing an item that is signed */
} DrCtlExit;

/* Everything one invocation uses: the global options, then what was opened from them. */
typedef struct
{
  char         *workspace_path;   /* --workspace, or NULL */
  char         *store_path;       /* --store, or NULL */
  char         *clones_folder;    /* --clones, or NULL */
  char         *person;           /* --as, or NULL */
  GPtrArray    *roles;            /* --role values, or NULL when none was given */

  GSettings    *settings;         /* the app's settings, or NULL when the schema is missing */
  DrWorkspace  *workspace;
  DrStore      *store;
  DrEngine     *engine;

  gboolean      stdout_is_terminal;
} DrCtl;

typedef struct _DrCtlCommand DrCtlCommand;

/* A command's implementation gets its own arguments, the command's name first. */
typedef int (*DrCtlCommandFunc) (DrCtl              *ctl,
                                 const DrCtlCommand *command,
                                 char              **args);

struct _DrCtlCommand
{
  const char       *name;         /* "promote", or "cluster set" for a subcommand */
  const char       *parameters;   /* the positional arguments, as --help shows them */
  const char       *summary;      /* one line, marked with N_() */
  const char       *description;  /* more text for --help, marked with N_(), or NULL */
  DrCtlCommandFunc  func;
};

/* dynamoctl.c */
gboolean      dr_ctl_parse_command     (DrCtl               *ctl,
                                        const DrCtlCommand  *command,
                                        const GOptionEntry  *entries,
                                        char              ***args,
                                        guint                min_arguments,
                                        guint                max_arguments);
gboolean      dr_ctl_load_workspace    (DrCtl               *ctl,
                                        GError             **error);
int           dr_ctl_open_workspace    (DrCtl               *ctl);
int           dr_ctl_open_engine       (DrCtl               *ctl);
int           dr_ctl_open_engine_to_read (DrCtl             *ctl);
int           dr_ctl_check_clones_folder (DrCtl             *ctl);
void          dr_ctl_result_cb         (GObject             *object,
                                        GAsyncResult        *result,
                                        gpointer             user_data);
GAsyncResult *dr_ctl_wait              (GAsyncResult       **slot);
char         *dr_ctl_dup_command_line  (DrCtl               *ctl,
                                        const char          *first_argument,
                                        ...) G_GNUC_NULL_TERMINATED;

/* dynamoctl-output.c */
int           dr_ctl_exit_for_error    (const GError        *error);
int           dr_ctl_fail              (const GError        *error);
int           dr_ctl_fail_usage        (const char          *format,
                                        ...) G_GNUC_PRINTF (1, 2);
void          dr_ctl_print_error       (const char          *message);
void          dr_ctl_print_message     (const char          *format,
                                        ...) G_GNUC_PRINTF (1, 2);
gboolean      dr_ctl_write_stdout      (const char          *text,
                                        gsize                length);
char         *dr_ctl_format_line       (const char          *line,
                                        gboolean             keep_colour);
const char   *dr_ctl_describe_run_state (DrRunState          state);

typedef struct _DrCtlTable DrCtlTable;

DrCtlTable   *dr_ctl_table_new         (guint                n_columns);
void          dr_ctl_table_add_row     (DrCtlTable          *table,
                                        const char * const  *cells);
void          dr_ctl_table_print       (DrCtlTable          *table);
void          dr_ctl_table_free        (DrCtlTable          *table);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrCtlTable, dr_ctl_table_free)

/* dynamoctl-run.c: starting a run and printing its progress until it ends. Create the
 * follower before starting the run, so that Ctrl+C during the start cancels the run too. */
typedef struct _DrCtlFollow DrCtlFollow;

DrCtlFollow  *dr_ctl_follow_new        (DrCtl               *ctl,
                                        gboolean             show_log);
int           dr_ctl_follow_start      (DrCtlFollow         *follow,
                                        GAsyncResult        *result);
void          dr_ctl_follow_free       (DrCtlFollow         *follow);
gboolean      dr_ctl_choose_show_log   (DrCtl               *ctl,
                                        gboolean             log,
                                        gboolean             no_log);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DrCtlFollow, dr_ctl_follow_free)

/* Command implementations, one file per area. */
int           dr_ctl_board             (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_record            (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_new_build         (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_promote           (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_redeploy          (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_verify            (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_rollback          (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_check             (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_sign              (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_revoke            (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_approve           (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_reject            (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_withdraw          (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_runs              (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_log               (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_audit             (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_cluster_set       (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_cluster_test      (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_cluster_remove    (DrCtl *ctl, const DrCtlCommand *command, char **args);
int           dr_ctl_cluster_import    (DrCtl *ctl, const DrCtlCommand *command, char **args);

G_END_DECLS
