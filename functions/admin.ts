/**
 * admin: the admin plane (`/admin/...`: the dashboard page and the admin API,
 * shared/admin/) as its own function, behind its API Gateway routes in
 * per-function mode. The router serves the same paths in router mode.
 */
import { adminHandler } from '../shared/admin/handler';

export { ADMIN_ROUTES } from '../shared/admin/routes';

export const main_handler = adminHandler;
