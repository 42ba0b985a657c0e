//! Objects an exporter builds once and shares: between its collectors and
//! its setup at startup ([`BuildContext`]), or between its collectors
//! within one scrape ([`Extensions`] of a
//! [`ScrapeContext`](crate::ScrapeContext)). Both replace process globals,
//! which tests running several exporters in one process would share.

use std::any::{Any, TypeId};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::collector::BuildError;

/// A map of shared objects keyed by their type: one object of each type.
/// Collectors that need the same object (a Docker watcher, a connection
/// pool, a parsed config) ask for it by type; the first one builds it.
#[derive(Default)]
pub struct Extensions {
    objects: Mutex<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
}

impl Extensions {
    pub fn new() -> Extensions {
        Extensions::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(TypeId, Arc<dyn Any + Send + Sync>)>> {
        // A poisoned map still holds whole objects: inserts are one push.
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The object of type `T`, if one was inserted.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let objects = self.lock();
        let (_, object) = objects.iter().find(|(id, _)| *id == TypeId::of::<T>())?;
        object.clone().downcast::<T>().ok()
    }

    /// The object of type `T`, built by `make` if there is none yet.
    pub fn get_or_insert_with<T: Send + Sync + 'static>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        match self.get_or_try_insert_with(|| Ok::<T, std::convert::Infallible>(make())) {
            Ok(object) => object,
            Err(never) => match never {},
        }
    }

    /// The object of type `T`, built by `make` if there is none yet; an
    /// error of `make` is returned and nothing is inserted, so the next
    /// caller tries again.
    pub fn get_or_try_insert_with<T: Send + Sync + 'static, E>(
        &self,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        if let Some(object) = self.get::<T>() {
            return Ok(object);
        }
        // Built outside the lock: `make` may ask for other objects.
        let made = Arc::new(make()?);
        let mut objects = self.lock();
        if let Some((_, object)) = objects.iter().find(|(id, _)| *id == TypeId::of::<T>())
            && let Ok(first) = object.clone().downcast::<T>()
        {
            // Another caller got there first: everyone shares its object.
            return Ok(first);
        }
        objects.push((TypeId::of::<T>(), made.clone()));
        Ok(made)
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions")
            .field("objects", &self.lock().len())
            .finish()
    }
}

/// What the collectors' builds and the exporter's setup share at startup:
/// objects built once for all of them. Dropped once the exporter is built;
/// what a collector keeps, it keeps as an `Arc`.
#[derive(Debug, Default)]
pub struct BuildContext {
    shared: Extensions,
}

impl BuildContext {
    pub fn new() -> BuildContext {
        BuildContext::default()
    }

    /// The shared `T`, if a build or setup made one.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.shared.get()
    }

    /// The shared `T`, made by `make` for the first caller.
    pub fn get_or_insert_with<T: Send + Sync + 'static>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        self.shared.get_or_insert_with(make)
    }

    /// The shared `T`, made by `make` for the first caller; when `make`
    /// fails, the build fails (and a later caller would try again).
    pub fn get_or_try_insert_with<T: Send + Sync + 'static>(
        &self,
        make: impl FnOnce() -> Result<T, BuildError>,
    ) -> Result<Arc<T>, BuildError> {
        self.shared.get_or_try_insert_with(make)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Pool(u32);

    #[derive(Debug, PartialEq)]
    struct Config(&'static str);

    #[test]
    fn one_object_per_type_built_by_the_first_caller() {
        let ctx = BuildContext::new();
        assert!(ctx.get::<Pool>().is_none());
        let first = ctx.get_or_insert_with(|| Pool(1));
        let second = ctx.get_or_insert_with(|| Pool(2));
        assert!(Arc::ptr_eq(&first, &second), "the second caller shares");
        assert_eq!(*second, Pool(1));
        let config = ctx.get_or_insert_with(|| Config("a"));
        assert_eq!(*config, Config("a"), "another type has its own slot");
        assert!(Arc::ptr_eq(&ctx.get::<Pool>().unwrap(), &first));
    }

    #[test]
    fn a_failed_build_is_not_kept() {
        let ctx = BuildContext::new();
        let err = ctx
            .get_or_try_insert_with::<Pool>(|| Err(BuildError::new("no server")))
            .unwrap_err();
        assert_eq!(err.to_string(), "no server");
        assert!(ctx.get::<Pool>().is_none());
        let pool = ctx.get_or_try_insert_with(|| Ok(Pool(3))).unwrap();
        assert_eq!(*pool, Pool(3));
    }

    #[test]
    fn a_builder_may_ask_for_other_objects() {
        let ctx = BuildContext::new();
        let pool = ctx.get_or_insert_with(|| {
            let config = ctx.get_or_insert_with(|| Config("nested"));
            Pool(config.0.len() as u32)
        });
        assert_eq!(*pool, Pool(6));
        assert_eq!(*ctx.get::<Config>().unwrap(), Config("nested"));
    }
}
