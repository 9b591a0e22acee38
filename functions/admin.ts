/**
 * admin: the admin plane (`/admin/...`: the dashboard page and the admin API,
 * shared/admin/) as its own bundle, for `npm run invoke -- admin` and console
 * tests. The deployed router serves the same paths (the API Gateway mode that
 * deployed it alone was retired, docs/deploy.md).
 */
import { adminHandler } from '../shared/admin/handler';

export { ADMIN_ROUTES } from '../shared/admin/routes';

export const main_handler = adminHandler;
