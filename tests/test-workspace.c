/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "dr-workspace.h"

static const char * const english[] = { "C", NULL };
static const char * const spanish[] = { "es", NULL };

static char *
get_bundled_path (void)
{
  const char *datadir = g_getenv ("DYNAMO_DATADIR");

  g_assert_nonnull (datadir);

  return g_build_filename (datadir, "workspaces", "dynamo.yaml", NULL);
}

static DrWorkspace *
load_bundled (const char * const *languages)
{
  g_autofree char *path = get_bundled_path ();
  g_autoptr(GError) error = NULL;
  DrWorkspace *workspace = dr_workspace_load_file (path, languages, &error);

  g_assert_no_error (error);
  g_assert_nonnull (workspace);

  return workspace;
}

static DrWorkspace *
load_inline (const char         *data,
             const char * const *languages)
{
  g_autoptr(GError) error = NULL;
  DrWorkspace *workspace = dr_workspace_load_data (data, (gsize) -1, "inline.yaml", languages,
                                                   &error);

  g_assert_no_error (error);
  g_assert_nonnull (workspace);

  return workspace;
}

static void
assert_argv (const DrStep *step,
             ...)
{
  va_list args;
  guint i = 0;

  g_assert_nonnull (step);
  g_assert_cmpint (step->kind, ==, DR_STEP_KIND_COMMAND);
  g_assert_nonnull (step->argv_template);

  va_start (args, step);
  for (const char *expected = va_arg (args, const char *);
       expected != NULL;
       expected = va_arg (args, const char *)) {
    g_assert_nonnull (step->argv_template[i]);
    g_assert_cmpstr (step->argv_template[i], ==, expected);
    i++;
  }
  va_end (args);

  g_assert_null (step->argv_template[i]);
}

static const DrStep *
get_step (const DrPipeline *pipeline,
          DrPipelineKind    kind,
          guint             index)
{
  g_assert_nonnull (pipeline);
  g_assert_cmpuint (index, <, pipeline->steps[kind]->len);

  return g_ptr_array_index (pipeline->steps[kind], index);
}

static void
test_bundled_identity (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  g_autoptr(DrWorkspace) workspace_es = load_bundled (spanish);
  g_autofree char *path = get_bundled_path ();
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);

  g_assert_cmpstr (dr_workspace_get_name (workspace), ==, "dynamo");
  g_assert_cmpstr (dr_workspace_get_title (workspace), ==, "Dynamo System");
  g_assert_cmpstr (dr_workspace_get_title (workspace_es), ==, "Sistema Dynamo");
  g_assert_cmpstr (dr_workspace_get_path (workspace), ==, canonical);
}

static void
test_bundled_settings (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);

  g_assert_false (dr_workspace_get_allow_self_approval (workspace));
  g_assert_cmpuint (dr_workspace_get_step_timeout_seconds (workspace), ==, 30 * 60);
  g_assert_cmpuint (dr_workspace_get_kill_grace_seconds (workspace), ==, 10);
  g_assert_true (dr_workspace_get_verify_after_deploy (workspace));
}

static void
test_bundled_roles (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  g_autoptr(DrWorkspace) workspace_es = load_bundled (spanish);
  GPtrArray *roles = dr_workspace_get_roles (workspace);
  const DrRole *role;

  g_assert_cmpuint (roles->len, ==, 3);

  role = g_ptr_array_index (roles, 0);
  g_assert_cmpstr (role->id, ==, "release-manager");
  g_assert_cmpstr (role->title, ==, "Release manager");
  role = g_ptr_array_index (roles, 1);
  g_assert_cmpstr (role->id, ==, "qa");
  g_assert_cmpstr (role->title, ==, "QA engineer");
  role = g_ptr_array_index (roles, 2);
  g_assert_cmpstr (role->id, ==, "security");
  g_assert_cmpstr (role->title, ==, "Security reviewer");

  g_assert_cmpstr (dr_workspace_get_role (workspace_es, "release-manager")->title, ==,
                   "Responsable de versiones");
  g_assert_cmpstr (dr_workspace_get_role (workspace_es, "qa")->title, ==, "Ingeniero de QA");
  g_assert_cmpstr (dr_workspace_get_role (workspace_es, "security")->title, ==,
                   "Revisor de seguridad");
  g_assert_null (dr_workspace_get_role (workspace, "developer"));
}

static void
test_bundled_environments (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  GPtrArray *environments = dr_workspace_get_environments (workspace);
  const DrEnvironment *development;
  const DrEnvironment *qa;
  const DrEnvironment *production;

  g_assert_cmpuint (environments->len, ==, 3);
  development = g_ptr_array_index (environments, 0);
  qa = g_ptr_array_index (environments, 1);
  production = g_ptr_array_index (environments, 2);

  g_assert_cmpstr (development->id, ==, "development");
  g_assert_cmpstr (development->title, ==, "Development");
  g_assert_cmpuint (development->position, ==, 0);
  g_assert_cmpstr (development->base_url, ==, "https://dev.yourapp.com");
  g_assert_cmpstr (development->cluster, ==, "dynamo-dev");
  g_assert_cmpstr (development->namespace, ==, "dynamo");
  g_assert_cmpstr (development->feature_flags, ==, "All feature flags enabled");

  g_assert_cmpstr (qa->id, ==, "qa");
  g_assert_cmpstr (qa->title, ==, "QA");
  g_assert_cmpuint (qa->position, ==, 1);
  g_assert_cmpstr (qa->base_url, ==, "https://qa.yourapp.com");
  g_assert_cmpstr (qa->cluster, ==, "dynamo-qa");
  g_assert_cmpstr (qa->namespace, ==, "dynamo");
  g_assert_cmpstr (qa->feature_flags, ==, "Feature flags the same as in Production");

  g_assert_cmpstr (production->id, ==, "production");
  g_assert_cmpstr (production->title, ==, "Production");
  g_assert_cmpuint (production->position, ==, 2);
  g_assert_cmpstr (production->base_url, ==, "https://app.yourapp.com");
  g_assert_cmpstr (production->cluster, ==, "dynamo-prod");
  g_assert_cmpstr (production->namespace, ==, "dynamo");
  g_assert_cmpstr (production->feature_flags, ==, "Careful control of feature flags");

  g_assert_true (dr_workspace_get_environment (workspace, "qa") == qa);
  g_assert_null (dr_workspace_get_environment (workspace, "staging"));
  g_assert_true (dr_workspace_get_next_environment (workspace, development) == qa);
  g_assert_true (dr_workspace_get_next_environment (workspace, qa) == production);
  g_assert_null (dr_workspace_get_next_environment (workspace, production));
  g_assert_null (dr_workspace_get_previous_environment (workspace, development));
  g_assert_true (dr_workspace_get_previous_environment (workspace, qa) == development);
  g_assert_true (dr_workspace_get_previous_environment (workspace, production) == qa);
}

static void
test_bundled_badges (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  const DrEnvironment *development = dr_workspace_get_environment (workspace, "development");
  const DrEnvironment *qa = dr_workspace_get_environment (workspace, "qa");
  const DrEnvironment *production = dr_workspace_get_environment (workspace, "production");

  g_assert_cmpstr (development->badge, ==, "Development environment");
  g_assert_cmpint (development->badge_style, ==, DR_BADGE_STYLE_BLUE);
  g_assert_cmpstr (qa->badge, ==, "Quality control environment");
  g_assert_cmpint (qa->badge_style, ==, DR_BADGE_STYLE_AMBER);
  g_assert_null (production->badge);
  g_assert_cmpint (production->badge_style, ==, DR_BADGE_STYLE_NONE);
}

static void
test_bundled_spanish (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (spanish);
  const DrEnvironment *development = dr_workspace_get_environment (workspace, "development");
  const DrEnvironment *qa = dr_workspace_get_environment (workspace, "qa");
  const DrEnvironment *production = dr_workspace_get_environment (workspace, "production");

  g_assert_cmpstr (development->badge, ==, "Entorno de Desarrollo");
  g_assert_cmpstr (qa->badge, ==, "Entorno de Control de Calidad");
  g_assert_null (production->badge);

  g_assert_cmpstr (development->title, ==, "Desarrollo");
  g_assert_cmpstr (qa->title, ==, "QA");
  g_assert_cmpstr (production->title, ==, "Producción");

  g_assert_cmpstr (development->feature_flags, ==, "Todos los feature flags habilitados");
  g_assert_cmpstr (qa->feature_flags, ==, "Feature flags iguales a producción");
  g_assert_cmpstr (production->feature_flags, ==, "Control cuidadoso de feature flags");

  g_assert_cmpstr (get_step (dr_workspace_get_pipeline (workspace, "service"),
                             DR_PIPELINE_DEPLOY, 1)->name, ==,
                   "Construir la imagen del contenedor");
}

static void
test_language_lists (void)
{
  const char * const locale_style[] = { "es_ES.UTF-8", "es_ES", "es", "C", NULL };
  const char * const untranslated[] = { "fr_FR", "fr", "C", NULL };
  const char * const c_first[] = { "C", "es", NULL };
  g_autoptr(DrWorkspace) spanish_locale = load_bundled (locale_style);
  g_autoptr(DrWorkspace) french_locale = load_bundled (untranslated);
  g_autoptr(DrWorkspace) c_locale = load_bundled (c_first);

  g_assert_cmpstr (dr_workspace_get_environment (spanish_locale, "qa")->badge, ==,
                   "Entorno de Control de Calidad");
  g_assert_cmpstr (dr_workspace_get_environment (french_locale, "qa")->badge, ==,
                   "Quality control environment");
  g_assert_cmpstr (dr_workspace_get_environment (c_locale, "qa")->badge, ==,
                   "Quality control environment");
}

static void
test_bundled_environment_builds (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  const DrEnvironment *development = dr_workspace_get_environment (workspace, "development");
  const DrEnvironment *qa = dr_workspace_get_environment (workspace, "qa");
  const DrEnvironment *production = dr_workspace_get_environment (workspace, "production");

  assert_argv (development->build_step, "npm", "run", "build:dev", NULL);
  assert_argv (qa->build_step, "npm", "run", "build:qa", NULL);
  assert_argv (production->build_step, "npm", "run", "build:prod", NULL);

  g_assert_cmpstr (development->build_step->name, ==, "Build for Development");
  g_assert_cmpstr (qa->build_step->name, ==, "Build for QA");
  g_assert_cmpstr (production->build_step->name, ==, "Build for Production");
  g_assert_cmpstr (production->build_step->command, ==, "npm run build:prod");
  g_assert_false (production->build_step->needs_cluster);
  g_assert_cmpuint (production->build_step->timeout_seconds, ==, 30 * 60);
}

static void
test_bundled_services (void)
{
  const char *ids[] = {
    "api-gateway", "auth-service", "projects-service", "forms-service", "tasks-service",
    "notifications-service",
  };
  const char *titles[] = {
    "API Gateway", "Auth Service", "Projects Service", "Forms Service", "Tasks Service",
    "Notifications Service",
  };
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  GPtrArray *services = dr_workspace_get_services (workspace);

  g_assert_cmpuint (services->len, ==, G_N_ELEMENTS (ids));

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    const DrService *service = g_ptr_array_index (services, i);
    g_autofree char *repository = g_strdup_printf ("https://github.com/your-org/%s", ids[i]);
    const char *pipeline = i == 0 ? "gateway" : "service";

    g_assert_cmpstr (service->id, ==, ids[i]);
    g_assert_cmpstr (service->title, ==, titles[i]);
    g_assert_cmpstr (service->repository, ==, repository);
    g_assert_cmpstr (service->directory, ==, ids[i]);
    g_assert_nonnull (service->pipeline);
    g_assert_cmpstr (service->pipeline->id, ==, pipeline);
    g_assert_cmpint (service->version_source, ==, DR_VERSION_SOURCE_PACKAGE_JSON);
    g_assert_true (dr_workspace_get_service (workspace, ids[i]) == service);
  }

  g_assert_null (dr_workspace_get_service (workspace, "billing-service"));
}

/* Checks the deploy steps that both pipelines share, from the environment build on. */
static void
assert_common_deploy (const DrPipeline *pipeline,
                      guint             first)
{
  const DrStep *build = get_step (pipeline, DR_PIPELINE_DEPLOY, first);
  const DrStep *image = get_step (pipeline, DR_PIPELINE_DEPLOY, first + 1);
  const DrStep *test = get_step (pipeline, DR_PIPELINE_DEPLOY, first + 2);
  const DrStep *apply = get_step (pipeline, DR_PIPELINE_DEPLOY, first + 3);

  g_assert_cmpuint (pipeline->steps[DR_PIPELINE_DEPLOY]->len, ==, first + 4);

  g_assert_cmpstr (build->name, ==, "Build for the environment");
  g_assert_cmpint (build->kind, ==, DR_STEP_KIND_ACTION);
  g_assert_cmpint (build->action, ==, DR_STEP_ACTION_ENVIRONMENT_BUILD);
  g_assert_null (build->argv_template);
  g_assert_false (build->needs_cluster);

  g_assert_cmpstr (image->name, ==, "Build the container image");
  assert_argv (image, "docker", "build", "-t", "dynamo/{service}:{version}", ".", NULL);
  g_assert_cmpstr (image->command, ==, "docker build -t dynamo/{service}:{version} .");
  g_assert_false (image->needs_cluster);
  g_assert_cmpuint (image->timeout_seconds, ==, 30 * 60);

  g_assert_cmpstr (test->name, ==, "Test the container");
  assert_argv (test, "docker", "run", "--rm", "dynamo/{service}:{version}", "npm", "test", NULL);
  g_assert_false (test->needs_cluster);

  g_assert_cmpstr (apply->name, ==, "Deploy to Kubernetes");
  assert_argv (apply, "kubectl", "apply", "-f", "k8s/{service}/deployment.yaml", NULL);
  g_assert_true (apply->needs_cluster);
}

static void
assert_verify_and_rollback (const DrPipeline *pipeline)
{
  const DrStep *verify = get_step (pipeline, DR_PIPELINE_VERIFY, 0);
  const DrStep *undo = get_step (pipeline, DR_PIPELINE_ROLLBACK, 0);
  const DrStep *health = get_step (pipeline, DR_PIPELINE_ROLLBACK, 1);

  g_assert_cmpuint (pipeline->steps[DR_PIPELINE_VERIFY]->len, ==, 1);
  assert_argv (verify, "node", "scripts/verify-deployment.js", "--env={environment}",
               "--service={service}", NULL);
  g_assert_false (verify->needs_cluster);

  g_assert_cmpuint (pipeline->steps[DR_PIPELINE_ROLLBACK]->len, ==, 2);
  assert_argv (undo, "kubectl", "rollout", "undo", "deployment/{service}", NULL);
  g_assert_true (undo->needs_cluster);
  assert_argv (health, "node", "scripts/verify-service-health.js", "--service={service}", NULL);
  g_assert_false (health->needs_cluster);
}

static void
test_bundled_service_pipeline (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  const DrPipeline *pipeline = dr_workspace_get_pipeline (workspace, "service");

  g_assert_nonnull (pipeline);
  g_assert_cmpstr (pipeline->id, ==, "service");
  assert_common_deploy (pipeline, 0);
  assert_verify_and_rollback (pipeline);
}

static void
test_bundled_gateway_pipeline (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  const DrPipeline *pipeline = dr_workspace_get_pipeline (workspace, "gateway");
  const DrStep *routes;

  g_assert_nonnull (pipeline);
  routes = get_step (pipeline, DR_PIPELINE_DEPLOY, 0);
  g_assert_cmpstr (routes->name, ==, "Update the route configuration");
  assert_argv (routes, "npm", "run", "update-routes", NULL);
  assert_common_deploy (pipeline, 1);
  assert_verify_and_rollback (pipeline);
  g_assert_null (dr_workspace_get_pipeline (workspace, "worker"));
}

static void
assert_item (const DrChecklist *checklist,
             guint              index,
             const char        *id,
             const char        *title,
             const char        *role)
{
  const DrChecklistItem *item;

  g_assert_cmpuint (index, <, checklist->items->len);
  item = g_ptr_array_index (checklist->items, index);
  g_assert_cmpstr (item->id, ==, id);
  g_assert_cmpstr (item->title, ==, title);
  g_assert_cmpstr (item->role, ==, role);
}

static void
test_bundled_checklists (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  const DrChecklist *checklist = dr_workspace_get_checklist (workspace, "pre-production");
  const DrChecklistItem *script;

  g_assert_cmpuint (dr_workspace_get_checklists (workspace)->len, ==, 2);
  g_assert_nonnull (checklist);
  g_assert_cmpstr (checklist->title, ==, "Pre-production checklist");
  g_assert_cmpuint (checklist->items->len, ==, 5);

  assert_item (checklist, 0, "qa-tests-pass", "All tests pass in the QA environment", "qa");
  assert_item (checklist, 1, "functionality-verified", "Functionality verified by the QA team",
               "qa");
  assert_item (checklist, 2, "performance-tests", "Performance tests completed", "qa");
  assert_item (checklist, 3, "security-review", "Security review completed", "security");
  assert_item (checklist, 4, "pre-deployment-verification",
               "Pre-deployment verification script passes", "release-manager");

  for (guint i = 0; i < 4; i++)
    g_assert_null (((DrChecklistItem *) g_ptr_array_index (checklist->items, i))->check);

  script = dr_workspace_find_checklist_item (workspace, "pre-production",
                                             "pre-deployment-verification");
  g_assert_nonnull (script);
  assert_argv (script->check, "node", "scripts/verify-deployment.js", "--env=production",
               "--service={service}", NULL);
  g_assert_cmpstr (script->check->name, ==, "Pre-deployment verification script passes");
  g_assert_null (dr_workspace_find_checklist_item (workspace, "pre-production", "unknown"));
  g_assert_null (dr_workspace_find_checklist_item (workspace, "unknown", "security-review"));
}

static void
test_bundled_checklists_spanish (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (spanish);
  const DrChecklist *checklist = dr_workspace_get_checklist (workspace, "pre-production");
  const DrChecklist *monitoring = dr_workspace_get_monitoring (workspace);

  g_assert_cmpstr (checklist->title, ==, "Lista de verificación para despliegue");
  assert_item (checklist, 0, "qa-tests-pass", "Todas las pruebas pasando en entorno de QA", "qa");
  assert_item (checklist, 1, "functionality-verified",
               "Verificación de funcionalidades por equipo de QA", "qa");
  assert_item (checklist, 2, "performance-tests", "Pruebas de rendimiento completadas", "qa");
  assert_item (checklist, 3, "security-review", "Revisión de seguridad completada", "security");
  assert_item (checklist, 4, "pre-deployment-verification",
               "Ejecutar script de verificación pre-despliegue", "release-manager");

  g_assert_cmpstr (monitoring->title, ==, "Monitoreo post-despliegue");
  assert_item (monitoring, 0, "service-metrics", "Verificar métricas de servicio",
               "release-manager");
  assert_item (monitoring, 1, "error-logs", "Comprobar logs de errores", "release-manager");
  assert_item (monitoring, 2, "integration-points", "Probar puntos de integración",
               "release-manager");
  assert_item (monitoring, 3, "response-times", "Verificar tiempos de respuesta",
               "release-manager");
}

static void
test_bundled_gates (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  const DrGate *development = dr_workspace_get_gate (workspace, "development");
  const DrGate *qa = dr_workspace_get_gate (workspace, "qa");
  const DrGate *production = dr_workspace_get_gate (workspace, "production");

  g_assert_nonnull (development);
  g_assert_cmpstr (development->environment, ==, "development");
  g_assert_null (development->checklist);
  g_assert_cmpuint (g_strv_length (development->approval_roles), ==, 0);
  g_assert_cmpstr (development->promoter_role, ==, "release-manager");

  g_assert_nonnull (qa);
  g_assert_null (qa->checklist);
  g_assert_cmpuint (g_strv_length (qa->approval_roles), ==, 0);
  g_assert_cmpstr (qa->promoter_role, ==, "release-manager");

  g_assert_nonnull (production);
  g_assert_true (production->checklist ==
                 dr_workspace_get_checklist (workspace, "pre-production"));
  g_assert_cmpuint (g_strv_length (production->approval_roles), ==, 1);
  g_assert_cmpstr (production->approval_roles[0], ==, "security");
  g_assert_cmpstr (production->promoter_role, ==, "release-manager");

  g_assert_null (dr_workspace_get_gate (workspace, "staging"));
}

static void
test_bundled_monitoring (void)
{
  g_autoptr(DrWorkspace) workspace = load_bundled (english);
  const DrChecklist *monitoring = dr_workspace_get_monitoring (workspace);

  g_assert_nonnull (monitoring);
  g_assert_cmpstr (monitoring->id, ==, "post-deployment");
  g_assert_cmpstr (monitoring->title, ==, "Post-deployment monitoring");
  g_assert_cmpuint (monitoring->items->len, ==, 4);
  assert_item (monitoring, 0, "service-metrics", "Check the service metrics", "release-manager");
  assert_item (monitoring, 1, "error-logs", "Check the error logs", "release-manager");
  assert_item (monitoring, 2, "integration-points", "Test the integration points",
               "release-manager");
  assert_item (monitoring, 3, "response-times", "Check the response times", "release-manager");
}

static void
test_find_default (void)
{
  g_autofree char *found = dr_workspace_find_default ();
  g_autofree char *expected = get_bundled_path ();

  g_assert_cmpstr (found, ==, expected);
}

static void
test_minimal_defaults (void)
{
  g_autoptr(DrWorkspace) workspace = load_inline ("version: 1\nname: minimal\n", english);

  g_assert_cmpstr (dr_workspace_get_name (workspace), ==, "minimal");
  g_assert_cmpstr (dr_workspace_get_title (workspace), ==, "minimal");
  g_assert_null (dr_workspace_get_path (workspace));
  g_assert_false (dr_workspace_get_allow_self_approval (workspace));
  g_assert_cmpuint (dr_workspace_get_step_timeout_seconds (workspace), ==, 30 * 60);
  g_assert_cmpuint (dr_workspace_get_kill_grace_seconds (workspace), ==, 10);
  g_assert_true (dr_workspace_get_verify_after_deploy (workspace));
  g_assert_cmpuint (dr_workspace_get_environments (workspace)->len, ==, 0);
  g_assert_cmpuint (dr_workspace_get_services (workspace)->len, ==, 0);
  g_assert_cmpuint (dr_workspace_get_checklists (workspace)->len, ==, 0);
  g_assert_cmpuint (dr_workspace_get_roles (workspace)->len, ==, 0);
  g_assert_null (dr_workspace_get_monitoring (workspace));
}

static const char steps_workspace[] =
  "version: 1\n"
  "name: steps\n"
  "settings:\n"
  "  allow-self-approval: true\n"
  "  step-timeout: 1h30m\n"
  "  kill-grace: 45s\n"
  "  verify-after-deploy: false\n"
  "environments:\n"
  "  - id: qa\n"
  "    title: QA\n"
  "    base-url: https://qa.yourapp.com\n"
  "    cluster: eu.dynamo-qa\n"
  "    namespace: dynamo\n"
  "    build: /usr/bin/kubectl version\n"
  "pipelines:\n"
  "  - id: custom\n"
  "    deploy:\n"
  "      - name: Tag\n"
  "        shell: docker tag app \"app:${DYNAMO_VERSION}\" && awk '{print $1}' x\n"
  "        timeout: 90s\n"
  "      - name: Wait\n"
  "        action: wait-for-rollout\n"
  "        timeout: 2h\n"
  "      - {name: Quoted, run: \"printf '%s {{literal}}' \\\"a b\\\" {run}\", cluster: true}\n"
  "      - name: Skip the cluster\n"
  "        run: kubectl version --client\n"
  "        cluster: false\n"
  "    rollback: []\n"
  "services:\n"
  "  - id: worker\n"
  "    title: Worker\n"
  "    repository: ssh://git@example.com/worker.git\n"
  "    pipeline: custom\n"
  "    version-from: git-describe\n"
  "  - id: manual\n"
  "    title: Manual\n"
  "    repository: https://example.com/manual\n"
  "    directory: nested/manual\n"
  "    pipeline: custom\n"
  "    version-from: manual\n";

static const char undo_workspace[] =
  "version: 1\n"
  "name: undo\n"
  "pipelines:\n"
  "  - id: service\n"
  "    deploy:\n"
  "      - name: Apply\n"
  "        run: kubectl apply -f k8s/{service}/deployment.yaml\n"
  "    rollback:\n"
  "      - name: Roll back the deployment\n"
  "        action: rollout-undo\n"
  "        timeout: 5m\n"
  "      - name: Roll back again\n"
  "        action: rollout-undo\n"
  "        cluster: true\n"
  "      - name: Wait for the rollout\n"
  "        action: wait-for-rollout\n";

static void
test_rollout_undo_action (void)
{
  g_autoptr(DrWorkspace) workspace = load_inline (undo_workspace, english);
  const DrPipeline *pipeline = dr_workspace_get_pipeline (workspace, "service");
  const DrStep *undo = get_step (pipeline, DR_PIPELINE_ROLLBACK, 0);
  const DrStep *explicit_cluster = get_step (pipeline, DR_PIPELINE_ROLLBACK, 1);
  const DrStep *wait = get_step (pipeline, DR_PIPELINE_ROLLBACK, 2);

  g_assert_cmpint (undo->kind, ==, DR_STEP_KIND_ACTION);
  g_assert_cmpint (undo->action, ==, DR_STEP_ACTION_ROLLOUT_UNDO);
  g_assert_cmpstr (undo->command, ==, "rollout-undo");
  g_assert_cmpstr (undo->name, ==, "Roll back the deployment");
  g_assert_null (undo->argv_template);
  g_assert_true (undo->needs_cluster);
  g_assert_cmpuint (undo->timeout_seconds, ==, 5 * 60);
  g_assert_cmpint (undo->line, ==, 9);
  g_assert_cmpint (undo->column, ==, 9);

  g_assert_cmpint (explicit_cluster->action, ==, DR_STEP_ACTION_ROLLOUT_UNDO);
  g_assert_true (explicit_cluster->needs_cluster);

  g_assert_cmpint (wait->action, ==, DR_STEP_ACTION_WAIT_FOR_ROLLOUT);
  g_assert_true (wait->needs_cluster);
}

static void
test_settings_and_step_options (void)
{
  g_autoptr(DrWorkspace) workspace = load_inline (steps_workspace, english);
  const DrPipeline *pipeline = dr_workspace_get_pipeline (workspace, "custom");
  const DrEnvironment *qa = dr_workspace_get_environment (workspace, "qa");
  const DrService *worker = dr_workspace_get_service (workspace, "worker");
  const DrService *manual = dr_workspace_get_service (workspace, "manual");
  const DrStep *shell = get_step (pipeline, DR_PIPELINE_DEPLOY, 0);
  const DrStep *wait = get_step (pipeline, DR_PIPELINE_DEPLOY, 1);
  const DrStep *quoted = get_step (pipeline, DR_PIPELINE_DEPLOY, 2);
  const DrStep *client = get_step (pipeline, DR_PIPELINE_DEPLOY, 3);

  g_assert_true (dr_workspace_get_allow_self_approval (workspace));
  g_assert_cmpuint (dr_workspace_get_step_timeout_seconds (workspace), ==, 90 * 60);
  g_assert_cmpuint (dr_workspace_get_kill_grace_seconds (workspace), ==, 45);
  g_assert_false (dr_workspace_get_verify_after_deploy (workspace));

  g_assert_cmpstr (qa->cluster, ==, "eu.dynamo-qa");
  g_assert_null (qa->badge);
  g_assert_null (qa->feature_flags);
  g_assert_true (qa->build_step->needs_cluster);
  g_assert_cmpuint (qa->build_step->timeout_seconds, ==, 90 * 60);

  g_assert_cmpint (shell->kind, ==, DR_STEP_KIND_SHELL);
  g_assert_cmpstr (shell->command, ==,
                   "docker tag app \"app:${DYNAMO_VERSION}\" && awk '{print $1}' x");
  g_assert_null (shell->argv_template);
  g_assert_false (shell->needs_cluster);
  g_assert_cmpuint (shell->timeout_seconds, ==, 90);
  g_assert_cmpint (shell->line, ==, 18);
  g_assert_cmpint (shell->column, ==, 9);

  g_assert_cmpint (wait->kind, ==, DR_STEP_KIND_ACTION);
  g_assert_cmpint (wait->action, ==, DR_STEP_ACTION_WAIT_FOR_ROLLOUT);
  g_assert_cmpstr (wait->command, ==, "wait-for-rollout");
  g_assert_true (wait->needs_cluster);
  g_assert_cmpuint (wait->timeout_seconds, ==, 2 * 60 * 60);

  assert_argv (quoted, "printf", "%s {{literal}}", "a b", "{run}", NULL);
  g_assert_true (quoted->needs_cluster);
  g_assert_cmpuint (quoted->timeout_seconds, ==, 90 * 60);
  g_assert_cmpint (quoted->line, ==, 24);
  g_assert_cmpint (quoted->column, ==, 9);

  assert_argv (client, "kubectl", "version", "--client", NULL);
  g_assert_false (client->needs_cluster);

  g_assert_cmpuint (pipeline->steps[DR_PIPELINE_VERIFY]->len, ==, 0);
  g_assert_cmpuint (pipeline->steps[DR_PIPELINE_ROLLBACK]->len, ==, 0);

  g_assert_cmpstr (worker->directory, ==, "worker");
  g_assert_cmpint (worker->version_source, ==, DR_VERSION_SOURCE_GIT_DESCRIBE);
  g_assert_cmpstr (manual->directory, ==, "nested/manual");
  g_assert_cmpint (manual->version_source, ==, DR_VERSION_SOURCE_MANUAL);

  /* The file names no gate, but each environment still has an open one. */
  g_assert_nonnull (dr_workspace_get_gate (workspace, "qa"));
  g_assert_null (dr_workspace_get_gate (workspace, "qa")->checklist);
  g_assert_null (dr_workspace_get_gate (workspace, "qa")->promoter_role);
  g_assert_cmpuint (g_strv_length (dr_workspace_get_gate (workspace, "qa")->approval_roles), ==,
                    0);
}

static void
test_aliases_within_bound (void)
{
  g_autoptr(DrWorkspace) workspace = load_inline (
    "version: 1\n"
    "name: aliases\n"
    "pipelines:\n"
    "  - id: first\n"
    "    deploy: &deploy\n"
    "      - name: Build\n"
    "        run: npm run build\n"
    "    verify: &verify\n"
    "      - name: Verify\n"
    "        run: node verify.js --service={service}\n"
    "  - id: second\n"
    "    deploy: *deploy\n"
    "    verify: *verify\n",
    english);
  const DrPipeline *second = dr_workspace_get_pipeline (workspace, "second");

  assert_argv (get_step (second, DR_PIPELINE_DEPLOY, 0), "npm", "run", "build", NULL);
  assert_argv (get_step (second, DR_PIPELINE_VERIFY, 0), "node", "verify.js",
               "--service={service}", NULL);
}

typedef struct
{
  const char *test_name;
  const char *file;
  int         code;
  int         line;
  int         column;
  const char *sentence;
} BrokenCase;

static const BrokenCase broken_cases[] = {
  { "syntax-error", "syntax-error.yaml", DR_WORKSPACE_ERROR_SYNTAX, 7, 4,
    "invalid YAML: did not find expected '-' indicator (while parsing a block collection at "
    "line 5, column 3); check the indentation, quotes and brackets here" },
  { "unknown-key", "unknown-key.yaml", DR_WORKSPACE_ERROR_INVALID, 7, 5,
    "unknown key “colour” in an environment; use one of id, title, badge, badge-style, "
    "base-url, cluster, namespace, build, feature-flags, or remove it" },
  { "unknown-top-level-key", "unknown-top-level-key.yaml", DR_WORKSPACE_ERROR_INVALID, 4, 1,
    "unknown key “enviroments” in a workspace; use one of version, name, title, settings, "
    "roles, environments, services, pipelines, checklists, gates, monitoring, or remove it" },
  { "duplicate-key", "duplicate-key.yaml", DR_WORKSPACE_ERROR_SYNTAX, 5, 1,
    "duplicate key “title”: the first is at line 4, column 1; remove one of them" },
  { "duplicate-translation", "duplicate-translation.yaml", DR_WORKSPACE_ERROR_SYNTAX, 6, 1,
    "duplicate key “title[es]”: the first is at line 5, column 1; remove one of them" },
  { "duplicate-id", "duplicate-id.yaml", DR_WORKSPACE_ERROR_INVALID, 14, 9,
    "duplicate service id “auth-service”: the first is at line 10, column 9; give each service "
    "its own id" },
  { "duplicate-gate", "duplicate-gate.yaml", DR_WORKSPACE_ERROR_INVALID, 13, 18,
    "a second gate for “qa”: the first is at line 12, column 18; merge them into one gate" },
  { "wrong-type", "wrong-type.yaml", DR_WORKSPACE_ERROR_INVALID, 7, 7,
    "expected a list of steps for “deploy”, found a mapping; write each one on its own line "
    "starting with “- ”" },
  { "approvals-not-list", "approvals-not-list.yaml", DR_WORKSPACE_ERROR_INVALID, 16, 16,
    "expected a list of role ids for “approvals”, found a text; write each one on its own line "
    "starting with “- ”" },
  { "not-a-mapping", "not-a-mapping.yaml", DR_WORKSPACE_ERROR_INVALID, 2, 1,
    "expected a workspace as a mapping of “key: value” lines, found a list; write one "
    "“key: value” line per key" },
  { "missing-key", "missing-key.yaml", DR_WORKSPACE_ERROR_INVALID, 5, 5,
    "missing key “base-url” in an environment; add a line “base-url: …”" },
  { "missing-version", "missing-version.yaml", DR_WORKSPACE_ERROR_INVALID, 2, 1,
    "missing key “version” in a workspace; add a line “version: …”" },
  { "unsupported-version", "unsupported-version.yaml", DR_WORKSPACE_ERROR_INVALID, 2, 10,
    "unsupported version “2”: this Dynamo Release reads version 1 workspaces; write "
    "“version: 1” or update Dynamo Release" },
  { "unknown-pipeline", "unknown-pipeline.yaml", DR_WORKSPACE_ERROR_INVALID, 13, 15,
    "unknown pipeline “gateway”: the pipelines are service; use one of them or add it under "
    "“pipelines”" },
  { "unknown-role", "unknown-role.yaml", DR_WORKSPACE_ERROR_INVALID, 13, 15,
    "unknown role “security”: the roles are qa; use one of them or add it under “roles”" },
  { "unknown-checklist", "unknown-checklist.yaml", DR_WORKSPACE_ERROR_INVALID, 13, 16,
    "unknown checklist “pre-production”: the workspace defines no checklists; add it under "
    "“checklists”" },
  { "unknown-environment", "unknown-environment.yaml", DR_WORKSPACE_ERROR_INVALID, 12, 18,
    "unknown environment “staging”: the environments are qa; use one of them or add it under "
    "“environments”" },
  { "unknown-monitoring", "unknown-monitoring.yaml", DR_WORKSPACE_ERROR_INVALID, 4, 13,
    "unknown checklist “post-deployment”: the workspace defines no checklists; add it under "
    "“checklists”" },
  { "unknown-placeholder", "unknown-placeholder.yaml", DR_WORKSPACE_ERROR_INVALID, 8, 14,
    "unknown placeholder “{tag}” in “dynamo/{service}:{tag}”: the known placeholders are "
    "{service}, {version}, {previous-version}, {environment}, {namespace}, {cluster}, "
    "{base-url}, {run}; write “{{” and “}}” for literal braces" },
  { "command-placeholder", "command-placeholder.yaml", DR_WORKSPACE_ERROR_INVALID, 8, 14,
    "the command name “{service}” contains a placeholder; write the program to run literally "
    "and pass values as its arguments, as in “docker build -t dynamo/{service}:{version} .”" },
  { "shell-placeholder", "shell-placeholder.yaml", DR_WORKSPACE_ERROR_INVALID, 8, 16,
    "placeholder “{version}” in a shell script: a script gets values only as environment "
    "variables, so write \"$DYNAMO_VERSION\" instead; every placeholder has one, from "
    "$DYNAMO_SERVICE to $DYNAMO_RUN" },
  { "two-step-kinds", "two-step-kinds.yaml", DR_WORKSPACE_ERROR_INVALID, 9, 9,
    "a step takes exactly one of “run”, “shell” and “action”, but this one has “run” and "
    "“shell”; remove one of them or make it a separate step" },
  { "no-step-kind", "no-step-kind.yaml", DR_WORKSPACE_ERROR_INVALID, 7, 9,
    "this step does nothing; add “run:” with a command, “shell:” with a script or “action:” "
    "with environment-build, wait-for-rollout or rollout-undo" },
  { "unknown-action", "unknown-action.yaml", DR_WORKSPACE_ERROR_INVALID, 8, 17,
    "unknown action “wait-for-pods”: use environment-build, wait-for-rollout or rollout-undo" },
  { "wait-without-cluster", "wait-without-cluster.yaml", DR_WORKSPACE_ERROR_INVALID, 9, 18,
    "wait-for-rollout always reads the cluster; remove “cluster: false”" },
  { "undo-without-cluster", "undo-without-cluster.yaml", DR_WORKSPACE_ERROR_INVALID, 11, 18,
    "rollout-undo always changes the cluster; remove “cluster: false”" },
  { "unbalanced-quote", "unbalanced-quote.yaml", DR_WORKSPACE_ERROR_INVALID, 8, 14,
    "invalid command “npm run 'build”: a quote is not closed; close it, or put a backslash "
    "before a quote that is part of an argument" },
  { "empty-deploy", "empty-deploy.yaml", DR_WORKSPACE_ERROR_INVALID, 6, 13,
    "“deploy” has no steps; add at least one step with a name and a command" },
  { "badge-style", "badge-style.yaml", DR_WORKSPACE_ERROR_INVALID, 8, 18,
    "invalid badge-style “green”: use none, blue or amber" },
  { "badge-without-style", "badge-without-style.yaml", DR_WORKSPACE_ERROR_INVALID, 7, 5,
    "a badge needs a color; add “badge-style: blue” or “badge-style: amber”, or remove the "
    "badge" },
  { "style-without-badge", "style-without-badge.yaml", DR_WORKSPACE_ERROR_INVALID, 7, 18,
    "badge-style “blue” needs a badge; add “badge: …” with its text, or write "
    "“badge-style: none”" },
  { "translation-without-base", "translation-without-base.yaml", DR_WORKSPACE_ERROR_INVALID,
    7, 5,
    "“badge[es]” translates “badge”, which is missing; add the untranslated “badge: …” line" },
  { "untranslatable", "untranslatable.yaml", DR_WORKSPACE_ERROR_INVALID, 9, 5,
    "“cluster” cannot be translated, so remove “cluster[es]”; only title, badge, feature-flags "
    "and the name of a step take translations" },
  { "duration", "duration.yaml", DR_WORKSPACE_ERROR_INVALID, 5, 17,
    "invalid duration “30” for “step-timeout”: write a whole number followed by s, m or h, "
    "such as “90s”, “30m” or “2h”, between 1s and 168h" },
  { "boolean", "boolean.yaml", DR_WORKSPACE_ERROR_INVALID, 5, 24,
    "invalid value “yes” for “allow-self-approval”: write true or false" },
  { "base-url", "base-url.yaml", DR_WORKSPACE_ERROR_INVALID, 7, 15,
    "invalid base URL “ftp://qa.yourapp.com”: a base URL is an http:// or https:// URL with a "
    "host, made only of letters, digits and “-._~:/?#[]@%+,=”, so without spaces or quotes; "
    "use a URL such as “https://qa.example.com”" },
  { "invalid-id", "invalid-id.yaml", DR_WORKSPACE_ERROR_INVALID, 5, 9,
    "invalid id “Release_Manager”: write a DNS label of 1 to 63 lowercase letters, digits and "
    "“-”, starting and ending with a letter or digit, such as “auth-service”" },
  { "repository", "repository.yaml", DR_WORKSPACE_ERROR_INVALID, 12, 17,
    "invalid repository “github.com/your-org/auth-service”: write an https://, http://, ssh://, "
    "git:// or file:// URL, such as “https://github.com/your-org/auth-service”" },
  { "directory-outside", "directory-outside.yaml", DR_WORKSPACE_ERROR_INVALID, 13, 16,
    "invalid directory “services/../../secrets”: “..” would leave the folder of clones; write a "
    "path inside it, such as “auth-service”" },
  { "directory-absolute", "directory-absolute.yaml", DR_WORKSPACE_ERROR_INVALID, 13, 16,
    "invalid directory “/etc”: write a path relative to the folder of clones, such as "
    "“auth-service”" },
  { "billion-laughs", "billion-laughs.yaml", DR_WORKSPACE_ERROR_SYNTAX, 8, 15,
    "aliases expand to more than 10000 nodes, which this file does not need; write the values "
    "out or use fewer nested aliases" },
  { "alias-recursion", "alias-recursion.yaml", DR_WORKSPACE_ERROR_SYNTAX, 7, 5,
    "alias “*roles” refers to a node that contains it, which would repeat forever; remove the "
    "alias or move the anchor “&roles”" },
  { "unknown-alias", "unknown-alias.yaml", DR_WORKSPACE_ERROR_SYNTAX, 4, 8,
    "unknown alias “*roles”: define the anchor “&roles” on a value before this line, or remove "
    "the alias" },
  { "two-documents", "two-documents.yaml", DR_WORKSPACE_ERROR_SYNTAX, 4, 1,
    "a second document starts here, but a workspace file holds one document; remove this “---” "
    "and what follows, or move it to another file" },
  { "empty", "empty.yaml", DR_WORKSPACE_ERROR_SYNTAX, 1, 1,
    "the file is empty; a workspace starts with “version: 1” and a “name”" },
};

static void
test_broken_file (gconstpointer data)
{
  const BrokenCase *test_case = data;
  g_autofree char *path = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "data",
                                            "workspaces", test_case->file, NULL);
  g_autofree char *position = g_strdup_printf ("%s:%d:%d: ", path, test_case->line,
                                               test_case->column);
  g_autofree char *expected = g_strconcat (position, test_case->sentence, NULL);
  g_autoptr(DrWorkspace) workspace = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  workspace = dr_workspace_load_file (path, english, &error);
  g_assert_null (workspace);
  g_assert_error (error, DR_WORKSPACE_ERROR, test_case->code);
  g_assert_true (g_str_has_prefix (error->message, position));
  g_assert_cmpstr (error->message, ==, expected);
}

static void
assert_inline_error (const char *data,
                     gsize       length,
                     int         code,
                     const char *expected)
{
  g_autoptr(DrWorkspace) workspace = NULL;
  g_autoptr(GError) error = NULL;

  workspace = dr_workspace_load_data (data, length, "inline.yaml", english, &error);
  g_assert_null (workspace);
  g_assert_error (error, DR_WORKSPACE_ERROR, code);
  g_assert_cmpstr (error->message, ==, expected);
}

static void
test_invalid_utf8 (void)
{
  static const char data[] = "version: 1\nname: broken\ntitle: Caf\xc3 bar\n";

  assert_inline_error (data, sizeof data - 1, DR_WORKSPACE_ERROR_SYNTAX,
                       "inline.yaml:3:11: invalid text: this is not UTF-8; save the file as "
                       "UTF-8");
}

static void
test_nul_byte (void)
{
  static const char data[] = "version: 1\nname: bro\0ken\n";

  assert_inline_error (data, sizeof data - 1, DR_WORKSPACE_ERROR_SYNTAX,
                       "inline.yaml:2:10: invalid text: the file contains a NUL byte; save it as "
                       "UTF-8 text");
}

static void
test_control_character (void)
{
  assert_inline_error ("version: 1\nname: broken\ntitle: a\x01b\n", (gsize) -1,
                       DR_WORKSPACE_ERROR_SYNTAX,
                       "inline.yaml:3:9: invalid text: control characters are not allowed; save "
                       "the file as UTF-8 without control characters");
}

static void
test_nul_in_text (void)
{
  assert_inline_error ("version: 1\nname: broken\ntitle: \"a\\0b\"\n", (gsize) -1,
                       DR_WORKSPACE_ERROR_SYNTAX,
                       "inline.yaml:3:8: a text contains a NUL character (“\\0”); remove it");
}

static void
test_mapping_key (void)
{
  assert_inline_error ("version: 1\nname: broken\n? [a, b]\n: c\n", (gsize) -1,
                       DR_WORKSPACE_ERROR_SYNTAX,
                       "inline.yaml:3:3: a key must be a plain text, not a list or a mapping; "
                       "write the key as a name followed by “:”");
}

static void
test_quoted_boolean (void)
{
  assert_inline_error ("version: 1\nname: broken\nsettings:\n  verify-after-deploy: \"true\"\n",
                       (gsize) -1, DR_WORKSPACE_ERROR_INVALID,
                       "inline.yaml:4:24: expected true or false for “verify-after-deploy”, "
                       "found a text; write true or false without quotes");
}

static void
test_empty_value (void)
{
  assert_inline_error ("version: 1\nname:\n", (gsize) -1, DR_WORKSPACE_ERROR_INVALID,
                       "inline.yaml:2:6: “name” is empty; write a text after “name:” or remove "
                       "the line");
}

static void
test_duration_too_long (void)
{
  assert_inline_error ("version: 1\nname: broken\nsettings:\n  kill-grace: 169h\n", (gsize) -1,
                       DR_WORKSPACE_ERROR_INVALID,
                       "inline.yaml:4:15: invalid duration “169h” for “kill-grace”: write a whole "
                       "number followed by s, m or h, such as “90s”, “30m” or “2h”, between 1s "
                       "and 168h");
}

static void
test_duplicate_approval (void)
{
  assert_inline_error ("version: 1\nname: broken\n"
                       "roles: [{id: security, title: Security}]\n"
                       "environments:\n"
                       "  - {id: qa, title: QA, base-url: 'https://qa.yourapp.com',\n"
                       "     cluster: qa, namespace: dynamo, build: make}\n"
                       "gates:\n"
                       "  - {environment: qa, approvals: [security, security]}\n",
                       (gsize) -1, DR_WORKSPACE_ERROR_INVALID,
                       "inline.yaml:8:45: role “security” is listed twice in approvals: the first "
                       "is at line 8, column 35; remove one");
}

static void
test_nesting_too_deep (void)
{
  g_autofree char *open = g_strnfill (100, '[');
  g_autofree char *close = g_strnfill (100, ']');
  g_autofree char *data = g_strconcat ("version: 1\nname: deep\nroles: ", open, close, "\n",
                                       NULL);

  /* The root mapping and 63 brackets fill the 64 levels, so the 64th bracket is one too many. */
  assert_inline_error (data, (gsize) -1, DR_WORKSPACE_ERROR_SYNTAX,
                       "inline.yaml:3:71: lists and mappings nest more than 64 levels deep here, "
                       "which a workspace never needs; remove the extra brackets or "
                       "indentation");
}

static void
test_missing_file (void)
{
  g_autoptr(DrWorkspace) workspace = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("DYNAMO_TESTS_SRCDIR"), "data",
                                            "workspaces", "no-such-file.yaml", NULL);

  workspace = dr_workspace_load_file (path, english, &error);
  g_assert_null (workspace);
  g_assert_error (error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, path));
}

/* A path to a device is refused before anything is read: /dev/zero never ends. */
static void
test_device_file (void)
{
  g_autoptr(DrWorkspace) workspace = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_dir_make_tmp ("dynamo-workspace-XXXXXX", NULL);
  g_autofree char *link = g_build_filename (folder, "zero.yaml", NULL);

  g_assert_cmpint (symlink ("/dev/zero", link), ==, 0);

  workspace = dr_workspace_load_file (link, english, &error);
  g_assert_null (workspace);
  g_assert_error (error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, link));
  g_assert_nonnull (strstr (error->message, "not a regular file"));

  g_assert_cmpint (g_unlink (link), ==, 0);
  g_assert_cmpint (g_rmdir (folder), ==, 0);
}

/* A named pipe with no writer would block a plain read forever. */
static void
test_named_pipe (void)
{
  g_autoptr(DrWorkspace) workspace = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_dir_make_tmp ("dynamo-workspace-XXXXXX", NULL);
  g_autofree char *pipe_path = g_build_filename (folder, "pipe.yaml", NULL);

  g_assert_cmpint (mkfifo (pipe_path, 0600), ==, 0);

  workspace = dr_workspace_load_file (pipe_path, english, &error);
  g_assert_null (workspace);
  g_assert_error (error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "not a regular file"));

  g_assert_cmpint (g_unlink (pipe_path), ==, 0);
  g_assert_cmpint (g_rmdir (folder), ==, 0);
}

/* A regular file past the bound is refused by its size, before it is read. */
static void
test_file_too_large (void)
{
  g_autoptr(DrWorkspace) workspace = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_dir_make_tmp ("dynamo-workspace-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (folder, "large.yaml", NULL);
  int fd;

  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 1024 * 1024 + 1), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);

  workspace = dr_workspace_load_file (path, english, &error);
  g_assert_null (workspace);
  g_assert_error (error, DR_WORKSPACE_ERROR, DR_WORKSPACE_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "1048577 bytes"));

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (folder), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/workspace/bundled/identity", test_bundled_identity);
  g_test_add_func ("/workspace/bundled/settings", test_bundled_settings);
  g_test_add_func ("/workspace/bundled/roles", test_bundled_roles);
  g_test_add_func ("/workspace/bundled/environments", test_bundled_environments);
  g_test_add_func ("/workspace/bundled/badges", test_bundled_badges);
  g_test_add_func ("/workspace/bundled/spanish", test_bundled_spanish);
  g_test_add_func ("/workspace/bundled/environment-builds", test_bundled_environment_builds);
  g_test_add_func ("/workspace/bundled/services", test_bundled_services);
  g_test_add_func ("/workspace/bundled/service-pipeline", test_bundled_service_pipeline);
  g_test_add_func ("/workspace/bundled/gateway-pipeline", test_bundled_gateway_pipeline);
  g_test_add_func ("/workspace/bundled/checklists", test_bundled_checklists);
  g_test_add_func ("/workspace/bundled/checklists-spanish", test_bundled_checklists_spanish);
  g_test_add_func ("/workspace/bundled/gates", test_bundled_gates);
  g_test_add_func ("/workspace/bundled/monitoring", test_bundled_monitoring);
  g_test_add_func ("/workspace/language-lists", test_language_lists);
  g_test_add_func ("/workspace/find-default", test_find_default);
  g_test_add_func ("/workspace/minimal-defaults", test_minimal_defaults);
  g_test_add_func ("/workspace/settings-and-steps", test_settings_and_step_options);
  g_test_add_func ("/workspace/rollout-undo-action", test_rollout_undo_action);
  g_test_add_func ("/workspace/aliases-within-bound", test_aliases_within_bound);

  for (guint i = 0; i < G_N_ELEMENTS (broken_cases); i++) {
    g_autofree char *test_path = g_strdup_printf ("/workspace/broken/%s",
                                                  broken_cases[i].test_name);

    g_test_add_data_func (test_path, &broken_cases[i], test_broken_file);
  }

  g_test_add_func ("/workspace/broken/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/workspace/broken/nul-byte", test_nul_byte);
  g_test_add_func ("/workspace/broken/control-character", test_control_character);
  g_test_add_func ("/workspace/broken/nul-in-text", test_nul_in_text);
  g_test_add_func ("/workspace/broken/mapping-key", test_mapping_key);
  g_test_add_func ("/workspace/broken/quoted-boolean", test_quoted_boolean);
  g_test_add_func ("/workspace/broken/empty-value", test_empty_value);
  g_test_add_func ("/workspace/broken/duration-too-long", test_duration_too_long);
  g_test_add_func ("/workspace/broken/duplicate-approval", test_duplicate_approval);
  g_test_add_func ("/workspace/broken/nesting-too-deep", test_nesting_too_deep);
  g_test_add_func ("/workspace/broken/missing-file", test_missing_file);
  g_test_add_func ("/workspace/broken/device-file", test_device_file);
  g_test_add_func ("/workspace/broken/named-pipe", test_named_pipe);
  g_test_add_func ("/workspace/broken/file-too-large", test_file_too_large);

  return g_test_run ();
}
