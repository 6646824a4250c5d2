// action.yml's post step: tear down the namespaces (and the daemons in them) the main step made,
// whatever happened to the job in between.
import { fail, runHelper } from './run.mjs';

const namespaces = (process.env.STATE_namespaces ?? '').split(' ').filter(Boolean);
try {
  if (namespaces.length) runHelper(['down', ...namespaces]);
  console.log(`viaguard tunnel: removed ${namespaces.length ? namespaces.join(', ') : 'nothing (the main step built no tunnel)'}`);
} catch (error) {
  fail(error);
}
