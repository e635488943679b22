mod db;
mod index;
